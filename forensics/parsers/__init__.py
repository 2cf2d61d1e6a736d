"""Evidence parsers, one subpackage per format family (``w3c``, ``m365``, ``eventlog``) and the
shared helpers at this level; every parser is listed explicitly in ``registry``."""
