"""Qt-free EVTX helpers shared by every parser of Windows events (``.evtx``, Event Viewer
XML/CSV exports): event maps, content classification of data strings, the Exchange event
mapping, and per-provider handlers."""
