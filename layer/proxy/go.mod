module github.com/open-runtime/layer/proxy

go 1.19
