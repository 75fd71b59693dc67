// flowc test: flows proven against recorded events.
