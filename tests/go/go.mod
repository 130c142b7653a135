module unwedge/tests/go

go 1.19
