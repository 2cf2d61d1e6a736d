"""Evidence where it lives: disk images and triage collections opened read-only.

``detect`` names a container by its bytes, ``open_container`` opens it (``images`` +
``filesystems`` for E01/raw/VHD(X)/VMDK with NTFS inside, ``archives`` for KAPE/Velociraptor
zips and tars), ``select`` picks the evidence by known location and by content, and every
inner file is read as a stream: nothing is extracted to disk.
"""

from forensics.containers.detect import container_kind
from forensics.containers.members import Member
from forensics.containers.session import Container, ContainerError, open_container

__all__ = ["Container", "ContainerError", "Member", "container_kind", "open_container"]
