# Sluice — two commands do everything on a fresh Debian machine:
#   make run    install what is missing, build, start the server with the demo loaded
#   make test   install what is missing, check the style, run the whole test suite and 30 s of each fuzzer
.PHONY: run test test-fast lint deps build release bench bench-load bench-pk bench-routine-load fuzz clean

deps:
	scripts/install-deps.sh

build:
	swift build

release:
	swift build -c release

run: deps release
	scripts/run-demo.sh

test: deps lint
	scripts/fuzz.sh all 30
	swift test

# The fast tier (~1 minute with a build): unit and in-process suites, no server processes,
# no simulated crash sweeps, no Kafka.
test-fast: deps
	swift test --skip "SluiceServerTests|SimulationTests|SluiceKafkaTests"

# The style of .swift-format (fix with: swift format format --in-place --recursive Sources Tests Fuzz Package.swift).
lint:
	swift format lint --strict --recursive Sources Tests Fuzz Package.swift

# Long fuzzing: make fuzz SECONDS=600 (each entry point of Fuzz/ for that long).
fuzz: deps
	scripts/fuzz.sh all $(or $(SECONDS),600)

bench: deps release
	scripts/bench-query.sh

bench-load: deps release
	scripts/bench-load.sh

bench-pk: deps release
	scripts/bench-pk.sh

bench-routine-load: deps release
	scripts/bench-routine-load.sh

clean:
	rm -rf .build data bench-out
