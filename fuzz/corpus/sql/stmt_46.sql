SELECT `from`, "Weird ""q""", `a``b` FROM `my stream`
