// kru-bench: placeholder, filled by the benchmark work.
print("kru-bench")
