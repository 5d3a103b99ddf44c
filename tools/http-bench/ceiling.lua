-- POST /ceiling on `ledger-bench http-ceiling`: the framework's ceiling for a POST with a
-- form body the size of an introspection request (the access token), answered with a
-- small fixed JSON body and no work behind it (the same headers as an introspection).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=" .. os.getenv("ACCESS_TOKEN")
wrk.headers["Authorization"] = "Bearer " .. os.getenv("AUTHLEDGER_KEY")
