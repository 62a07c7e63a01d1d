"""The Linux guest: Debian's arm64 kernel and a busybox initramfs, fetched and built into a
cache shared by every config (cache.py), from Debian's archive (debian.py); the initramfs and
its ready marker (initramfs.py); the arm64 Image header (arm64_image.py)."""
