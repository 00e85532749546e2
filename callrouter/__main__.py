from callrouter.cli import main

main()
