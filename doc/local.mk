## doc/local.mk -- manual pages and guides.
dist_man_MANS += doc/ward.1 doc/ward-lua.7 doc/ward-sandbox.7
