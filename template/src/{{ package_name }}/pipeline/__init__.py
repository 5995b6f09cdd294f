"""The data pipeline and the week-one data audit, built on the record contract."""
