"""W3C-style text logs: IIS, and the Exchange logs that share the #Fields: header layout
(HttpProxy, message tracking), with their shared header, time and URL-query helpers."""
