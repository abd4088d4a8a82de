-- actors:vmprint -- an Emilua-style actor that prints one line on its standard
-- output and returns.
print("actor says hi")
