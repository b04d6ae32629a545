from vaultkg.cli import main

main()
