-- POST /v1/introspect of one access token (RFC 7662): signature, claims and revocation check.
local key = os.getenv("AUTHLEDGER_KEY")
local token = os.getenv("ACCESS_TOKEN")
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. key
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "token=" .. token
