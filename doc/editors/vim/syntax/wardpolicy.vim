" Vim syntax file
" Language:	ward policy files (ward-policy(5))
" Filenames:	*.policy (ftdetect/wardpolicy.vim)
"
" Installed by `make install` as $(datadir)/vim/vimfiles/syntax/wardpolicy.vim
" (with ../ftdetect/wardpolicy.vim); or copy both under ~/.vim/.
" doc/editors/check.sh checks that every keyword, action and attribute
" the parser knows is named here.

if exists("b:current_syntax")
  finish
endif

let s:cpo_save = &cpo
set cpo&vim

" Names hold letters, digits and _ . : - * ? (ward-policy(5), LEXICAL
" STRUCTURE), so that process.spawn and actor.id are one word each.
syn iskeyword @,48-57,_,.,:,-,*,?
syn case match

syn keyword wardTodo		contained TODO FIXME XXX NOTE
syn match   wardComment		"#.*$" contains=wardTodo,@Spell

syn match   wardEscape		contained +\\\(["\\ntr]\|x\x\x\)+
syn match   wardBadEscape	contained +\\\(["\\ntr]\|x\x\x\)\@!.\=+
syn region  wardString		start=+"+ skip=+\\\\\|\\"+ end=+"+ end=+$+ oneline contains=wardEscape,wardBadEscape

syn match   wardNumber		"\(^\|[^[:alnum:]_.:*?-]\)\zs-\=\d\+\ze\($\|[^[:alnum:]_.:*?-]\)"

" Declarations open a line and are followed by their quoted name; the same
" words are also field names (sandbox = "strict";) and attribute keys.
syn match   wardDecl		"^\s*\zs\<\(policy\|actor\|host\|sandbox\)\>\ze\s*\""

syn keyword wardEffect		allow deny quietly
syn keyword wardKeyword		on when
syn keyword wardOperator	and or not in matches has
syn keyword wardBoolean		true false
syn match   wardOperator	"==\|!=\|<=\|>=\|<\|>"

" The actions of policy/include/actions.def (the X lines).
syn keyword wardAction		process.spawn process.spawn.monitored process.spawn.linked
syn keyword wardAction		process.host process.exec
syn keyword wardAction		process.send process.terminate process.cancel
syn keyword wardAction		process.monitor process.unmonitor process.link process.unlink
syn keyword wardAction		process.context process.security
syn keyword wardAction		process.registry.register process.registry.lookup process.registry.unregister
syn keyword wardAction		lua.require sandbox.spawn
syn keyword wardAction		io.stdin io.stdout io.stderr env.read
syn keyword wardAction		fs.read fs.write fs.create fs.list fs.remove
syn keyword wardAction		net.connect net.listen

" What a condition reads (ward-policy(5), CONDITIONS).
syn keyword wardAttribute	actor.id actor.meta actor.scope action resource
syn keyword wardAttribute	attr attr.pid attr.host attr.parent attr.path attr.address
syn keyword wardAttribute	target target.actor target.host target.parent target.names
syn match   wardAttribute	"\<actor\.meta\.[[:alnum:]_:-]\+"

" A field of a declaration: NAME = VALUE;
syn match   wardField		"^\s*\zs[[:alpha:]_][[:alnum:]_]*\ze\s*=[^=]"
syn match   wardField		"[{;]\s*\zs[[:alpha:]_][[:alnum:]_]*\ze\s*=[^=]"

hi def link wardTodo		Todo
hi def link wardComment		Comment
hi def link wardString		String
hi def link wardEscape		SpecialChar
hi def link wardBadEscape	Error
hi def link wardNumber		Number
hi def link wardDecl		Structure
hi def link wardEffect		Statement
hi def link wardKeyword		Keyword
hi def link wardOperator	Operator
hi def link wardBoolean		Boolean
hi def link wardAction		Function
hi def link wardAttribute	Identifier
hi def link wardField		Type

let b:current_syntax = "wardpolicy"

let &cpo = s:cpo_save
unlet s:cpo_save
