"""Issue 22 grid habits on 2,000,000 synthetic rows (the size the issue names): default time
order, multi-column sorts (time as the last key), row colour arrays, highlight rules, Go to
time, pick-list counts. Run: QT_QPA_PLATFORM=offscreen .venv/bin/python benchmarks/grid_habits.py
"""
import os, sys, time
sys.path.insert(0, os.getcwd())
import numpy as np, pandas as pd
from PySide6.QtWidgets import QApplication
app = QApplication([])
from forensics import schema
from forensics.ingest import LoadResult
from app.session import Session
from app.models.event_table_model import EventTableModel
n = 2_000_000
rng = np.random.default_rng(1)
people = np.array([f"user{i:04d}" for i in range(3000)], dtype=object)
frame = schema.conform({
    "time": pd.Timestamp("2024-03-01", tz="UTC") + pd.to_timedelta(rng.integers(0, 86400*30, n), unit="s"),
    "operation": np.array(["FolderOpen", "MessageOpen", "Logon", "SendAs"])[rng.integers(0, 4, n)],
    "mailbox": people[rng.integers(0, 3000, n)], "actor": people[rng.integers(0, 3000, n)],
    "logon_type": np.array(["Owner", "Delegate", "Admin"])[rng.integers(0, 3, n)],
    "outcome": np.array(["Success", "Failure"])[rng.integers(0, 2, n)],
    "item": np.array([f"subject {i}" for i in range(200000)], dtype=object)[rng.integers(0, 200000, n)],
    "client_ip": np.array([f"10.0.{i//250}.{i%250}" for i in range(5000)], dtype=object)[rng.integers(0, 5000, n)],
    "record_id": np.arange(n),
})
s = Session(examiner="b")
t = time.perf_counter(); s.add_result(LoadResult(frame=frame)); print(f"load + default time order: {time.perf_counter()-t:.2f}s")
m = EventTableModel(s)
for spec in ([("actor", False)], [("mailbox", False), ("actor", True)], [("time", True)], [("item", False)]):
    # a new key is ranked on a worker: the clock stops when the grid's order is the sorted one
    t = time.perf_counter(); s.set_sort(spec)
    while list(s.sort_by) != spec:
        app.processEvents(); time.sleep(0.001)
    print(f"sort {spec}: {time.perf_counter()-t:.2f}s (to the sorted view)")
t = time.perf_counter(); m.data(m.index(0, 0), 8); print(f"style arrays (flags): {time.perf_counter()-t:.3f}s")
t = time.perf_counter(); m.set_format_rules([("203.0.113.77", "#ffd6d6"), ("actor:user0001", "#fff2a8")]); m.data(m.index(0,0), 8); print(f"2 rules (one free word): {time.perf_counter()-t:.2f}s")
t = time.perf_counter()
for r in range(0, 2000):
    m.data(m.index(r % 50, 1), 8)
print(f"2000 BackgroundRole calls: {time.perf_counter()-t:.4f}s")
from app.widgets.grid_navigation import row_at_or_after
s.set_sort([])
t = time.perf_counter(); row_at_or_after(s, pd.Timestamp("2024-03-15", tz="UTC")); print(f"go to time: {time.perf_counter()-t:.3f}s")
t = time.perf_counter(); s.column_values("operation").value_counts(dropna=False); print(f"pick list counts: {time.perf_counter()-t:.3f}s")
s.shutdown()
