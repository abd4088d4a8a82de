-- actors:quick -- exits at once.
return 1
