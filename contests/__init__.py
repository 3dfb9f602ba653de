"""Anniversary quiz contests: rounds on the attempt engine, registration, boards, the jury and prizes."""
