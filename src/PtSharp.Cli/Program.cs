System.Console.WriteLine("pt");
