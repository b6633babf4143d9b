// Placeholder: tests land with the implementation.
#include <catch2/catch.hpp>
