" Vim filetype detection for ward policy files (ward-policy(5)).
" Installed by `make install` as $(datadir)/vim/vimfiles/ftdetect/wardpolicy.vim.
au BufRead,BufNewFile *.policy setfiletype wardpolicy
