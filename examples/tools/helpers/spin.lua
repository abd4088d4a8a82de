-- tools.helpers:spin -- a busy loop that ignores every request to stop.
while true do end
