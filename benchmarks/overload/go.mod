module dev.podidentity/overload

go 1.22
