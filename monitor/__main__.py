from monitor.entry import run

run()
