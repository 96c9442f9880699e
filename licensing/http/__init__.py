"""What every request and answer passes through, API and pages alike: request ids, logs and
request metrics, security headers, the guards on a request's size and shape, rate limits, and the
console's session cookie."""
