local n = ...; return n * n
