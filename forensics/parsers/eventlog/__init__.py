"""Windows event logs: the .evtx reader and Event Viewer's XML and CSV exports of them."""
