-- wrk: every request is POST /book {} (one seat, best available).
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
