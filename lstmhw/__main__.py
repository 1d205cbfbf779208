from lstmhw.cli import main

main()
