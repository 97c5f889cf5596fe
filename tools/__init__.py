"""Developer tools; ``tools.testservers`` starts the MongoDB-wire servers the tests run on."""
