"""Legacy Windows event logs (``.evt``, Windows NT 4 - Server 2003): structures, a walk of the
circular buffer that names every byte range it could not read, and record-number continuity."""
