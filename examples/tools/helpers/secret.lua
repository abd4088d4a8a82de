-- tools.helpers:secret -- a module file on the host's disk.
return "the host's file system"
