## doc/local.mk -- manual pages and guides.
dist_man_MANS += doc/ward.1 doc/ward-lua.7 doc/ward-sandbox.7 doc/ward-policy.5 doc/ward-fleet.7
dist_doc_DATA += doc/writing-policies.md

## Syntax highlighting for policy files (doc/editors/README.md says where
## each file goes); check.sh: they name every word the parser knows, and
## make install puts them there.
vimsyntaxdir = $(datadir)/vim/vimfiles/syntax
dist_vimsyntax_DATA = doc/editors/vim/syntax/wardpolicy.vim
vimftdetectdir = $(datadir)/vim/vimfiles/ftdetect
dist_vimftdetect_DATA = doc/editors/vim/ftdetect/wardpolicy.vim
editorsdir = $(pkgdatadir)/editors
dist_editors_DATA = doc/editors/ward-policy.tmLanguage.json doc/editors/README.md
TESTS += doc/editors/check.sh
EXTRA_DIST += doc/editors/check.sh

## readme-check.sh: the README's policy and audit walk-through works as shown.
TESTS += doc/readme-check.sh
EXTRA_DIST += doc/readme-check.sh

## check.sh: every example of ward-lua(7) prints what the page shows.
TESTS += doc/ward-lua-examples/check.sh
EXTRA_DIST += doc/ward-lua-examples/check.sh doc/ward-lua-examples/app \
	doc/ward-lua-examples/supervisor.lua doc/ward-lua-examples/supervisor.expected \
	doc/ward-lua-examples/messages.lua doc/ward-lua-examples/messages.expected \
	doc/ward-lua-examples/builder.lua doc/ward-lua-examples/builder.expected \
	doc/ward-lua-examples/links.lua doc/ward-lua-examples/links.expected \
	doc/ward-lua-examples/emilua.lua doc/ward-lua-examples/emilua.expected \
	doc/ward-lua-examples/upgrade.lua doc/ward-lua-examples/upgrade.expected \
	doc/ward-lua-examples/limits.lua doc/ward-lua-examples/limits.expected
