-- POST /v1/refresh: each connection logs in once, then rotates its own refresh token with
-- every request, as a client does (run with one connection per thread: a token shared by
-- two connections in flight would be a reuse).
local key = os.getenv("AUTHLEDGER_KEY")
local token = nil
request = function()
  if token == nil then
    local body = string.format('{"user":"rotor-%d","device_label":"wrk"}', math.random(1, 1000000000))
    return wrk.format("POST", "/v1/sessions", { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
  end
  return wrk.format("POST", "/v1/refresh", { ["Content-Type"] = "application/json" }, '{"refresh_token":"' .. token .. '"}')
end
response = function(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then token = t end
end
