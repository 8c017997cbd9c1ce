-- wrk script: POST /api/users with a new email on every request (TOKEN, TENANT and TAG from
-- the environment), so every request is a real insert.
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  token = os.getenv("TOKEN")
  tenant = os.getenv("TENANT")
  tag = os.getenv("TAG") or "bench"
end

function request()
  counter = counter + 1
  local body = string.format(
    '{"email":"%s-%d-%d@bench.example","password":"bench-Ledger-passphrase-93","roles":["VIEWER"],"tenant_id":"%s"}',
    tag, id, counter, tenant)
  return wrk.format("POST", "/api/users", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. token,
  }, body)
end

function response(status, headers, body)
  if status ~= 201 then
    io.stderr:write("create_users: HTTP " .. status .. " " .. body .. "\n")
  end
end
