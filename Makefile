# Sluice — two commands do everything on a fresh Debian machine:
#   make run    install what is missing, build, start the server with the demo loaded
#   make test   install what is missing, run the whole test suite
.PHONY: run test deps build release bench clean

deps:
	scripts/install-deps.sh

build:
	swift build

release:
	swift build -c release

run: deps release
	scripts/run-demo.sh

test: deps
	swift test

bench: deps release
	scripts/bench-query.sh

clean:
	rm -rf .build data bench-out
