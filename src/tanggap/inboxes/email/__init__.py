"""E-mail: parsing, reply trimming, loop and bounce detection (pure code), and the IMAP/SMTP adapters."""
