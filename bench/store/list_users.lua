-- wrk script: walks GET /api/users?tenant_id=...&limit=50 page by page (following next_cursor),
-- starting over after the last page: paginated reads of the whole table, as a console does.
function init(args)
  token = os.getenv("TOKEN")
  tenant = os.getenv("TENANT")
  cursor = nil
end

function request()
  local path = "/api/users?limit=50&tenant_id=" .. tenant
  if cursor then path = path .. "&cursor=" .. cursor end
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. token })
end

function response(status, headers, body)
  if status ~= 200 then
    io.stderr:write("list_users: HTTP " .. status .. " " .. body .. "\n")
    cursor = nil
    return
  end
  cursor = string.match(body, '"next_cursor":"([^"]+)"')
end
