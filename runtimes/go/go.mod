module github.com/aiwf-dev/aiwf/runtimes/go

go 1.22
