"""Chain of custody: hash evidence as it is read, and keep a tamper-evident log of it."""

from forensics.custody.hashing import FileHashes, HashingReader, hash_file
from forensics.custody.log import CustodyLog, VerifyResult

__all__ = ["CustodyLog", "FileHashes", "HashingReader", "VerifyResult", "hash_file"]
