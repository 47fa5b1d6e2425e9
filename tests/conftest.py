pytest_plugins = ["tests.fixtures.fake_tripletex"]
