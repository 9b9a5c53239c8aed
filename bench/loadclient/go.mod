module seats/bench/loadclient

go 1.19
