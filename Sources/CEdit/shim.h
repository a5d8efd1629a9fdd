// libedit's readline-compatible line editor and history (Debian libedit-dev): the interactive
// prompt of `sluice sql`.
#include <stdio.h>
#include <editline/readline.h>
