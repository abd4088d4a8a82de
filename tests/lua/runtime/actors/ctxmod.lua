-- actors.ctxmod -- a module loaded with require: reports whether it sees _CONTEXT.
return { ctx = _CONTEXT, has_process = process ~= nil, has_channel = channel ~= nil }
