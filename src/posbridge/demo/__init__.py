"""`posbridge demo`: the product's tour, played against wixsim on this machine.

An adapter beside cli.py. It starts `wixsim serve` and `posbridge serve` as subprocesses on free
loopback ports, wires them to each other (app id, secret, RSA key, provider base URI, webhook
URL), and drives the journey only through what a real deployment has: posbridge's admin API
(the operator), wixsim's control API (the site owner, Wix's own calls and its customers'
checkouts, which reach posbridge as signed SPI calls) and Wix's request log. posbridge never
imports wixsim; each step is checked against what wixsim holds, not assumed.
"""
