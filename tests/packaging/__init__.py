"""The distribution: the wheel, the Makefile's set-up, and the example apps that install it."""
