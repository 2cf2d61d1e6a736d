"""Evidence parsers, one module per format; listed explicitly in ``registry``."""
