-- POST /v1/refresh: clients rotating their own refresh tokens. Each wrk thread keeps a pool
-- of tokens: a request takes one (or logs a new user in when the pool is empty) and the
-- answer puts the next one back, so no token is ever in flight twice (that would be a
-- reuse) and every connection rotates its own session, as a client does.
local key = os.getenv("AUTHLEDGER_KEY")
local pool = {}
request = function()
  local token = table.remove(pool)
  if token == nil then
    local body = string.format('{"user":"rotor-%d","device_label":"wrk"}', math.random(1, 1000000000))
    return wrk.format("POST", "/v1/sessions", { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" }, body)
  end
  return wrk.format("POST", "/v1/refresh", { ["Content-Type"] = "application/json" }, '{"refresh_token":"' .. token .. '"}')
end
response = function(status, headers, body)
  local t = body:match('"refresh_token":"([^"]+)"')
  if t then table.insert(pool, t) end
end
