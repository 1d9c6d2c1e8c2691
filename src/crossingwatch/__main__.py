from crossingwatch.cli import main

main()
