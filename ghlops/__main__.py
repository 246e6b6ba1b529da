from ghlops.cli import main

main(prog_name="ghlops")
