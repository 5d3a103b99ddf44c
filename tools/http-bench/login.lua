-- POST /v1/sessions: a backend logging users in, each request a new user on a new device.
local key = os.getenv("AUTHLEDGER_KEY")
local n = 0
request = function()
  n = n + 1
  local body = string.format('{"user":"bench-%d-%d","device_label":"wrk","user_agent":"wrk/4","client_ip":"198.51.100.7"}', math.random(1, 1000000), n)
  return wrk.format("POST", "/v1/sessions", { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
end
